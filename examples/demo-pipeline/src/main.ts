import { InletError, InletErrorCode } from '@inlet/core';

// Smoke demo, said plainly: the pipeline (producer -> idempotent consumer on the embedded
// backbone) arrives with the producer and consumer packages. Until then this proves that the
// workspace resolves, compiles and runs Inlet's own source.
const error = new InletError(InletErrorCode.closed, 'demo: nothing to close yet');
console.log('Inlet smoke demo: the workspace builds and runs @inlet/core from source.');
console.log(`  typed errors work: ${error.code} (retryable: ${error.retryable})`);
console.log('  the demo pipeline (producer -> idempotent consumer) is not built yet.');
