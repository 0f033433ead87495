// The --layer2 setting, apart from the responder it chooses (layer2.ts), so
// that the command line reads it without loading the responder.

export type Layer2Mode = 'auto' | 'on' | 'off';
export const LAYER2_MODES: readonly Layer2Mode[] = ['auto', 'on', 'off'];
