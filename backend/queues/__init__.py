"""The review-queue engine (审核队列): one model and service for every item staff decide."""
