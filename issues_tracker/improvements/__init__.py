"""The improvement programme (the IPA review's actions) and the continual-service-improvement pipeline."""
