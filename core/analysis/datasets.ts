/**
 * The one table of dataset facts the analysis and the results export use: per built-in dataset
 * plugin, the label its results column carries (Table 4's spelling for the paper's six), the
 * metric it is reported in, that metric's scale and the column names accepted for it. A column
 * that names no dataset here is a task of its own, with its scale inferred or set by `--scale`.
 */

/** `percent`: 0-100 (accuracies); `unit`: a 0-1 score (QWK, macro F1, ROC AUC). */
export type Scale = "percent" | "unit";

export interface DatasetFacts {
  /** The dataset plugin's name. */
  readonly plugin: string;
  /** The results column's name; report rows are keyed by it. */
  readonly label: string;
  /** The metric the column holds (the dataset's selection metric), as a report names it. */
  readonly metric: string;
  readonly scale: Scale;
  /** Column names also accepted (compared lower-case with punctuation removed). */
  readonly aliases: readonly string[];
  /** One of the six downstream datasets of Fang, Kornblith & Schmidt (2023). */
  readonly paper: boolean;
}

export const DATASET_FACTS = [
  { plugin: "cct20", label: "CCT20", metric: "accuracy", scale: "percent", aliases: ["cct", "caltechcameratraps", "caltechcameratraps20"], paper: true },
  { plugin: "aptos2019", label: "APTOS", metric: "quadratic weighted kappa", scale: "unit", aliases: ["aptos2019blindness"], paper: true },
  { plugin: "hpa", label: "HPA", metric: "macro F1", scale: "unit", aliases: ["humanproteinatlas"], paper: true },
  { plugin: "melanoma", label: "Melanoma", metric: "ROC AUC", scale: "unit", aliases: ["siimisicmelanoma", "siimisic"], paper: true },
  { plugin: "cassava", label: "Cassava", metric: "accuracy", scale: "percent", aliases: ["cassavaleafdisease"], paper: true },
  { plugin: "eurosat", label: "EuroSAT", metric: "accuracy", scale: "percent", aliases: [], paper: true },
  { plugin: "fashion-mnist", label: "Fashion-MNIST", metric: "accuracy", scale: "percent", aliases: [], paper: false },
  { plugin: "cifar10", label: "CIFAR-10", metric: "accuracy", scale: "percent", aliases: [], paper: false },
  // Kornblith et al. (2019)'s suite, with that paper's metrics; aliases include Table 11's spellings.
  { plugin: "food101", label: "Food-101", metric: "accuracy", scale: "percent", aliases: ["food"], paper: false },
  { plugin: "cifar100", label: "CIFAR-100", metric: "accuracy", scale: "percent", aliases: [], paper: false },
  { plugin: "birdsnap", label: "Birdsnap", metric: "accuracy", scale: "percent", aliases: [], paper: false },
  { plugin: "sun397", label: "SUN397", metric: "accuracy", scale: "percent", aliases: ["sun"], paper: false },
  { plugin: "stanford-cars", label: "Stanford Cars", metric: "accuracy", scale: "percent", aliases: ["cars"], paper: false },
  { plugin: "fgvc-aircraft", label: "FGVC Aircraft", metric: "mean per-class accuracy", scale: "percent", aliases: ["aircraft"], paper: false },
  { plugin: "voc2007", label: "VOC 2007", metric: "11-point mAP", scale: "percent", aliases: ["pascalvoc2007", "pascalvoc2007cls"], paper: false },
  { plugin: "dtd", label: "DTD", metric: "accuracy", scale: "percent", aliases: ["describabletextures"], paper: false },
  { plugin: "oxford-pets", label: "Oxford-IIIT Pets", metric: "mean per-class accuracy", scale: "percent", aliases: ["pets", "oxfordiitpets"], paper: false },
  { plugin: "caltech101", label: "Caltech-101", metric: "mean per-class accuracy", scale: "percent", aliases: [], paper: false },
  { plugin: "flowers102", label: "Flowers-102", metric: "mean per-class accuracy", scale: "percent", aliases: ["oxford102flowers", "flowers"], paper: false },
] as const satisfies readonly DatasetFacts[];

type PaperFacts = Extract<(typeof DATASET_FACTS)[number], { paper: true }>;
/** Dataset names as Table 4 prints them; the paper's report cells are keyed by these. */
export type DatasetName = PaperFacts["label"];
/** The dataset plugins of the paper's six datasets. */
export type PaperDatasetPlugin = PaperFacts["plugin"];

const PAPER_FACTS = DATASET_FACTS.filter((f): f is PaperFacts => f.paper);
/** The paper's six datasets in Table 4's order. */
export const DATASETS: readonly DatasetName[] = PAPER_FACTS.map((f) => f.label);
export const PAPER_DATASET_PLUGINS: readonly PaperDatasetPlugin[] = PAPER_FACTS.map((f) => f.plugin);

function squash(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** The facts of the dataset a column header or plugin name stands for; undefined when none. */
export function datasetFacts(name: string): DatasetFacts | undefined {
  const key = squash(name);
  return DATASET_FACTS.find((f) => [f.label, f.plugin, ...f.aliases].some((n) => squash(n) === key));
}

/** The canonical paper dataset name for a column header, or undefined when it names none of the six. */
export function datasetForColumn(column: string): DatasetName | undefined {
  const facts = datasetFacts(column);
  return facts?.paper ? (facts.label as DatasetName) : undefined;
}

export function isPaperDataset(name: string): name is DatasetName {
  return (DATASETS as readonly string[]).includes(name);
}

/** Printed as in a report and accepted by `--scale`. */
export function scaleName(scale: Scale): "0-100" | "0-1" {
  return scale === "percent" ? "0-100" : "0-1";
}
