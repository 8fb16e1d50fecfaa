"""Everything derived from the model: exploration and checking, regression cases, replay,
diagrams and exports. Generators import the model and the properties, never the CLI."""
