// Discretization: bin boundaries (np.digitize) with int and one_hot outputs.
import { test } from 'uvu';
import { preprocessingCaseTests } from '../support/preprocessing-cases.js';

preprocessingCaseTests(['discretization_']);

test.run();
