"""adjudication"""
