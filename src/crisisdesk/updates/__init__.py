"""Stakeholder updates: a plan per crisis, drafts checked and approved, published to the status
page, e-mail lists, our social accounts, a press release and internal channels."""
