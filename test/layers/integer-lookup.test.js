// IntegerLookup: int / count, mask token, floormod OOV ids, invert.
import { test } from 'uvu';
import { preprocessingCaseTests } from '../support/preprocessing-cases.js';

preprocessingCaseTests(['integer_lookup_']);

test.run();
