# Model documentation policy: who owns the model, what it is for, and under which licence.
package aima

import rego.v1

deny contains "no accountable owner recorded (owner: an e-mail address or team alias)" if {
	not regex.match(`^[^@\s]+@[^@\s]+$`, object.get(input, "owner", ""))
}

deny contains "intended use is not documented (intended_use)" if {
	not documented(object.get(input, "intended_use", ""))
}

deny contains "licence is not recorded (licence)" if {
	not documented(object.get(input, "licence", object.get(input, "license", "")))
}

deny contains "model version is not recorded (version)" if {
	not documented(object.get(input, "version", ""))
}

documented(value) if {
	is_string(value)
	count(trim_space(value)) > 0
	not lower(trim_space(value)) in {"todo", "tbd", "n/a"}
}

documented(value) if is_number(value)
