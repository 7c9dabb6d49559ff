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
// The ImageNet validation set (FID, Appendix L).
export { imagenetVal } from "./imagenet-val/index.ts";
// The APTOS interventions (Appendix F): Kaggle's 2015 DR data, and concat to train it with APTOS 2019.
export { dr2015 } from "./dr2015/index.ts";
export { concatDataset } from "./concat/index.ts";
// Kornblith et al. (2019)'s suite (cifar10 above).
export { food101 } from "./food101/index.ts";
export { cifar100 } from "./cifar100/index.ts";
export { birdsnap } from "./birdsnap/index.ts";
export { sun397 } from "./sun397/index.ts";
export { fgvcAircraft } from "./fgvc-aircraft/index.ts";
export { oxfordPets } from "./oxford-pets/index.ts";
export { voc2007 } from "./voc2007/index.ts";
export { dtd } from "./dtd/index.ts";
export { caltech101 } from "./caltech101/index.ts";
export { flowers102 } from "./flowers102/index.ts";
export { stanfordCars } from "./stanford-cars/index.ts";
