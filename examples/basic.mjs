// examples/basic.c from Node.js, through koffi (a C FFI from npm): four predictions scored
// against their targets with SoftMarginLoss, each loss and then the mean, printed as the C
// example prints them.
//
// Run from the repository's root, after `cargo build --release`:
//
//   npm install --no-save koffi && node examples/basic.mjs
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const lib = koffi.load(path.join(root, 'target/release/libsoftmargin.so'));

// From include/softmargin.h.
const SOFTMARGIN_REDUCTION_NONE = 0;
const SOFTMARGIN_REDUCTION_MEAN = 1;
const forward = lib.func('int32_t softmargin_forward_f32(const float *input, ' +
    'const float *target, size_t len, int32_t reduction, _Out_ float *output)');
const statusStr = lib.func('const char *softmargin_status_str(int32_t status)');

// koffi passes a typed array's memory itself: the library reads and writes it in place.
const predictions = new Float32Array([0.5, -2.0, 3.1, -0.2]);
const targets = new Float32Array([1.0, -1.0, 1.0, -1.0]);
const losses = new Float32Array(4);
const mean = new Float32Array(1);

function check(status, what) {
    if (status !== 0) {
        console.error(`${what}: ${statusStr(status)}`);
        process.exit(1);
    }
}
check(forward(predictions, targets, 4, SOFTMARGIN_REDUCTION_NONE, losses), 'forward (none)');
check(forward(predictions, targets, 4, SOFTMARGIN_REDUCTION_MEAN, mean), 'forward (mean)');

// printf's "%+.1f": a sign always.
const signed = (v, digits) => (v >= 0 ? '+' : '') + v.toFixed(digits);
let failures = 0;
let sum = 0;
for (let i = 0; i < 4; i++) {
    // The textbook formula in double precision: fine at these moderate values.
    const expected = Math.log1p(Math.exp(-targets[i] * predictions[i]));
    console.log(`loss[${i}] (x = ${signed(predictions[i], 1)}, y = ${signed(targets[i], 0)}) = ` +
        `${losses[i].toFixed(6)}`);
    if (Math.abs(losses[i] - expected) > 1e-6 * expected) {
        console.error(`  expected ${expected.toFixed(9)}`);
        failures++;
    }
    sum += expected;
}
console.log(`mean = ${mean[0].toFixed(6)}`);
if (Math.abs(mean[0] - sum / 4) > 1e-6 * (sum / 4)) {
    console.error(`  expected mean ${(sum / 4).toFixed(9)}`);
    failures++;
}
process.exit(failures === 0 ? 0 : 1);
