// CategoryEncoding: one_hot / multi_hot / count vs NumPy.
import { test } from 'uvu';
import { preprocessingCaseTests } from '../support/preprocessing-cases.js';

preprocessingCaseTests(['category_encoding_']);

test.run();
