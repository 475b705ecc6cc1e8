"""Synthetic, realistic paid-knowledge platform data in learnmart's raw contract."""

from learnmart.datagen.generator import GeneratorConfig, generate

__all__ = ["GeneratorConfig", "generate"]
