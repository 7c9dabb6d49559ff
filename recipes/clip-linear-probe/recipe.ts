/**
 * The first stage of the paper's CLIP LP-FT (Appendix I): a linear probe on each of Table 8's six
 * CLIP image towers for each of the six datasets, over lr 1e-1, 1e-2, 1e-3 for a third of the
 * epochs. `clip-transfer` fine-tunes the best probe of each pair and runs this stage first.
 */
import { defineRecipe } from "../../core/index.ts";
import { CLIP_MODELS, CLIP_SMOKE_MODELS, CLIP_SMOKE_TEMPLATE, clipTemplate, probeGrids } from "../shared/clip.ts";
import { PAPER_DATASETS } from "../shared/paper.ts";

export default defineRecipe({
  name: "clip-linear-probe",
  description: "Appendix I, LP stage: 6 CLIP towers x 6 datasets x 3 learning rates, body frozen, a third of the epochs",
  template: clipTemplate("aptos2019", CLIP_MODELS[0]),
  grid: probeGrids(PAPER_DATASETS, CLIP_MODELS),
  smoke: { template: CLIP_SMOKE_TEMPLATE, grid: probeGrids(["eurosat"], CLIP_SMOKE_MODELS, { smoke: true, lrs: [1e-1, 1e-2] }) },
});
