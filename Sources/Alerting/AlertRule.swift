// Alert rules, their evaluation and notifications (see RuleGroup.swift).
