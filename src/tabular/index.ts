// Tabular data: scikit-learn-style MLP estimators, the preprocessing of CSV-like tables, metrics,
// and the model that ties them together and saves as a zerograd model file. Browser-safe: reading
// files is the CLI's (src/cli/tabular-csv.ts).
export { MLPRegressor, MLPClassifier, restoreEstimator, type MLPRegressorOptions, type MLPState } from './mlp.js';
export { MLP_DEFAULTS, type MLPOptions, type MLPActivation, type MLPSolver, type LearningRateSchedule, type MLPEpochInfo } from './mlp-base.js';
export { toMatrix, type Matrix, type MatrixLike } from './matrix.js';
export { minimizeLbfgs, type Objective, type LbfgsOptions, type LbfgsResult } from './lbfgs.js';
export { rmse, mae, r2Score, accuracy, classificationReport, type ClassificationReport, type ClassReport } from './metrics.js';
export {
  fitPreprocessing, transform, featureNames, inferColumnType, parseNumber, isMissing, MISSING_VALUES, MISSING_CATEGORY,
  type Table, type ColumnType, type Preprocessing, type PreprocessOptions,
} from './preprocess.js';
export {
  TabularModel, inferTask, targetValues, trainTestSplit, subset, permutationImportance,
  type Task, type TabularOptions, type TabularPrediction, type TabularMeta, type ColumnImportance,
} from './model.js';
