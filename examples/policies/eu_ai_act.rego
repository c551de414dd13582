# EU AI Act: every model records its risk class (Art. 6 and Annex III) with a justification.
# Input: the model metadata (e.g. a model card's YAML front-matter), with an `eu_ai_act` block:
#   eu_ai_act: {risk_class: high, justification: "...", human_oversight: "..."}
package aima

import rego.v1

risk_classes := {"unacceptable", "high", "limited", "minimal"}

risk_class := lower(trim_space(input.eu_ai_act.risk_class)) if is_string(input.eu_ai_act.risk_class)

deny contains "missing EU AI Act risk classification (eu_ai_act.risk_class)" if {
	not risk_class
}

deny contains msg if {
	risk_class
	not risk_class in risk_classes
	# concat, not sprintf: regopy 1.5.2 leaves the quotes of a %v string unescaped in its output
	msg := concat("", ["EU AI Act risk class '", risk_class, "' is not one of unacceptable, high, limited, minimal"])
}

deny contains "EU AI Act risk class is 'unacceptable': a prohibited practice (Art. 5) must not be deployed" if {
	risk_class == "unacceptable"
}

deny contains "EU AI Act risk class has no justification (eu_ai_act.justification)" if {
	not has_text(object.get(input, ["eu_ai_act", "justification"], ""))
}

deny contains "high-risk model does not document its human oversight measures (eu_ai_act.human_oversight, Art. 14)" if {
	risk_class == "high"
	not has_text(object.get(input, ["eu_ai_act", "human_oversight"], ""))
}

has_text(value) if {
	is_string(value)
	count(trim_space(value)) > 0
}
