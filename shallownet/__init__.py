"""shallownet: data, the compiled training loop over either gradient path, checkpoints, plots, CLI."""
