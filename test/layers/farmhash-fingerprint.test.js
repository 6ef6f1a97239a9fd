// FarmHash Fingerprint64 and SipHash-2-4 as TensorFlow's to_hash_bucket_fast / _strong use them:
// the examples of the Keras Hashing and tf.strings documentation and the SipHash paper's vector.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hashBucketFast, hashBucketStrong, sipHash24, fingerprint64 } from '../../dist/layers/farmhash-fingerprint.js';

test('to_hash_bucket_fast examples (keras.layers.Hashing and tf.strings docs)', () => {
  assert.equal(['A', 'B', 'C', 'D', 'E'].map((s) => hashBucketFast(s, 3)), [1, 0, 1, 1, 2]);
  assert.equal(['Hello', 'TensorFlow', '2.x'].map((s) => hashBucketFast(s, 3)), [0, 2, 2]);
  // the empty string hashes to FarmHash's k2 constant
  assert.is(fingerprint64(new Uint8Array(0)), 0x9ae16a3b2f90404fn);
});

test('to_hash_bucket_strong examples (SipHash-2-4 keyed by the salt)', () => {
  assert.equal(['Hello', 'TF'].map((s) => hashBucketStrong(s, 3, [1n, 2n])), [2, 0]);
  assert.equal(['A', 'B', 'C', 'D', 'E'].map((s) => hashBucketStrong(s, 3, [133n, 137n])), [1, 2, 1, 0, 2]);
  assert.equal(['A', 'B', 'C', 'D', 'E'].map((s) => hashBucketStrong(s, 3, [133n, 133n])), [0, 0, 2, 1, 0]);
});

test('SipHash-2-4 reference vector (key 00..0f, empty message)', () => {
  assert.is(sipHash24(new Uint8Array(0), 0x0706050403020100n, 0x0f0e0d0c0b0a0908n), 0x726fdb47dd0e0e31n);
});

test.run();
