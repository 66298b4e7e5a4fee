"""Training and evaluation: labelled data sets, splits, scores and the trainers that write the
models :mod:`crisisdesk.analysis` runs in the pipeline. Nothing here runs while posts flow."""
