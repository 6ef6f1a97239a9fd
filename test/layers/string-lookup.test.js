// StringLookup: int / one_hot / multi_hot / count / tf_idf, mask token, several OOV ids (FarmHash, SipHash with salt), vocabulary in config and assets; tf.keras .h5.
import { test } from 'uvu';
import { preprocessingCaseTests } from '../support/preprocessing-cases.js';

preprocessingCaseTests(['string_lookup_']);

test.run();
