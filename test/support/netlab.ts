// The namespace lab lives in src/lab (the demo builds one too); tests import it from here.
export * from '../../src/lab/netlab.js';
