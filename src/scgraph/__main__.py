"""``python -m scgraph``: the command line, as the ``scgraph`` script runs it."""

from scgraph.cli import main

if __name__ == "__main__":
    main()
