// The explainer page's views, by name (the glossary links to them; the page marks each with data-view).
export const EXPLAINER_VIEWS = ['network', 'input', 'feature-maps', 'kernels', 'probabilities', 'detail', 'training', 'detection'] as const;
export type ExplainerView = (typeof EXPLAINER_VIEWS)[number];
