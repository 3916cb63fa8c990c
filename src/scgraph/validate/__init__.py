"""Validate: SHACL for the curated graph (:mod:`.shacl`), SPARQL checks for the registry (:mod:`.checks`), one report (:mod:`.report`)."""
