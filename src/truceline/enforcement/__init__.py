"""enforcement"""
