// TextVectorization (every standardize / split / ngrams / output mode, vocabulary in config and in .keras assets) and end-to-end text classifiers vs Python re references.
import { test } from 'uvu';
import { preprocessingCaseTests } from '../support/preprocessing-cases.js';

preprocessingCaseTests(['tv_', 'sentiment_']);

test.run();
