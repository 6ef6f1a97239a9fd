// Hashing: FarmHash Fingerprint64, SipHash-2-4 with salt, mask_value, multi_hot; strings of every FarmHash length class.
import { test } from 'uvu';
import { preprocessingCaseTests } from '../support/preprocessing-cases.js';

preprocessingCaseTests(['hashing_']);

test.run();
