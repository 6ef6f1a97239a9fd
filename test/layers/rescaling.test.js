// Rescaling: x * scale + offset.
import { test } from 'uvu';
import { preprocessingCaseTests } from '../support/preprocessing-cases.js';

preprocessingCaseTests(['rescaling_']);

test.run();
