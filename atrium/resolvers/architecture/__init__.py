"""Architectures (seed 000, Architecto): designs and versions, analyses, documents, sharing."""
