"""learnmart: user segmentation and course recommendations for paid-knowledge platforms."""

__version__ = "0.1.0"
