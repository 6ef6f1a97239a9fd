// Normalization: mean / variance from weights (Keras 3, tf.keras) or config, zero variance, invert.
import { test } from 'uvu';
import { preprocessingCaseTests } from '../support/preprocessing-cases.js';

preprocessingCaseTests(['normalization_']);

test.run();
