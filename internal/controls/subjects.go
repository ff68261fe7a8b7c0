package controls

import (
	"fmt"
	"strings"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// ParseSubjects reads a comma-separated list of Kind:name and ServiceAccount:namespace:name.
func ParseSubjects(list string) ([]isms.Subject, error) {
	var subjects []isms.Subject
	for _, item := range strings.Split(list, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		kind, name, found := strings.Cut(item, ":")
		if !found || name == "" {
			return nil, fmt.Errorf("exempt subject %q: want Kind:name, e.g. Group:system:masters", item)
		}
		switch kind {
		case "User", "Group":
			subjects = append(subjects, isms.Subject{Kind: kind, Name: name})
		case "ServiceAccount":
			namespace, account, found := strings.Cut(name, ":")
			if !found || namespace == "" || account == "" {
				return nil, fmt.Errorf("exempt subject %q: want ServiceAccount:namespace:name", item)
			}
			subjects = append(subjects, isms.Subject{Kind: kind, Namespace: namespace, Name: account})
		default:
			return nil, fmt.Errorf("exempt subject %q: kind must be User, Group or ServiceAccount", item)
		}
	}
	return subjects, nil
}

// FormatSubjects writes subjects in the form ParseSubjects reads.
func FormatSubjects(subjects []isms.Subject) string {
	var items []string
	for _, s := range subjects {
		if s.Kind == "ServiceAccount" {
			items = append(items, s.Kind+":"+s.Namespace+":"+s.Name)
		} else {
			items = append(items, s.Kind+":"+s.Name)
		}
	}
	return strings.Join(items, ",")
}
