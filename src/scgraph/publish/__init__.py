"""Publish: serialisers (:mod:`.serialise`), releases (:mod:`.release`), ontology documentation (:mod:`.ontodoc`)."""
