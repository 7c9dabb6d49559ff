/** The five diabetic-retinopathy grades APTOS 2019 and the 2015 Kaggle data share (label = grade). */
export const APTOS_CLASSES = ["No DR", "Mild", "Moderate", "Severe", "Proliferative DR"] as const;
