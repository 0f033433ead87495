// The namespace lab lives in dev/lab (the demo builds one too); tests import it from here.
export * from '../../dev/lab/netlab.js';
