"""The SPARQL endpoint: the app (:mod:`.app`), result formats (:mod:`.formats`), query workers (:mod:`.workers`), identifier pages (:mod:`.pages`)."""
