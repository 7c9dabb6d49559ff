/** The built-in dataset plugins that read each dataset's native on-disk format. */
export { aptos2019, APTOS_CLASSES } from "./aptos2019/index.ts";
export { cassava, CASSAVA_CLASSES } from "./cassava/index.ts";
export { cct20, CCT20_CATEGORY_IDS, CCT20_CLASSES, CCT20_SPLITS } from "./cct20/index.ts";
export { hpa, HPA_CLASSES, HPA_SPLIT_FILE, parseHpaTarget, readHpaSplitFile } from "./hpa/index.ts";
export { melanoma, MELANOMA_CLASSES } from "./melanoma/index.ts";
export { eurosat, EUROSAT_CLASSES } from "./eurosat/index.ts";
export { cifar10, CIFAR10_CLASSES } from "./cifar10/index.ts";
export { fashionMnist, FASHION_MNIST_CLASSES, FASHION_MNIST_DEFAULT_ROOT, parseIdx } from "./fashion-mnist/index.ts";
export { imageFolder } from "./image-folder/index.ts";
export { imageFolderIndex, IMG_EXTENSIONS } from "./common/index.ts";
export { csvDataset } from "./csv/index.ts";
