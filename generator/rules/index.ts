/**
 * Every lint rule, in the order they are reported. Each rule is keyed by a sentence that says
 * what must hold (`contractgen lint --rules` prints them).
 */
import { conformanceRules } from './conformance.js';
import { deliveryRules } from './delivery.js';
import { historyRules } from './history.js';
import { hostileRules } from './hostile.js';
import { kernelRules } from './kernel.js';
import { messageRules } from './messages.js';
import { parameterRules } from './parameters.js';
import type { LintRule } from './rule.js';
import { schemaRules } from './schemas.js';

export const rules: readonly LintRule[] = [...schemaRules, ...hostileRules, ...kernelRules, ...messageRules, ...deliveryRules, ...parameterRules, ...historyRules, ...conformanceRules];

export type { LintRule } from './rule.js';
