// The model-versus-kernel differential tests land here (issue: the conntrack model).
