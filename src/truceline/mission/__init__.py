"""mission"""
