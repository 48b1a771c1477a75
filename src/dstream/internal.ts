/**
 * Load order of the DStream kinds. The base class must be evaluated before any subclass, and the
 * base class creates subclasses in its methods; every file of this folder therefore imports its
 * siblings through this module, which fixes the order and breaks the import cycle.
 */
export * from './dstream.js';
export * from './transformed.js';
export * from './union.js';
export * from './windowed.js';
export * from './reduced-windowed.js';
export * from './state.js';
export * from './map-with-state.js';
export * from './aggregated.js';
export * from './pane-windowed.js';
export * from './for-each.js';
export * from './input.js';
