"""Data shipped inside the package: the built-in figure templates and the starter manifest.

The folder ``builtin/`` beside this file holds one TOML file per template (the conv_arithmetic
gallery, the 1x1-convolution blog's figures, the channel figures) and ``blog.toml``, the batch
manifest that ``convanim batch --init`` copies. They are package data, so an installed wheel finds
them beside the installed package from any working folder; nothing here is code.
"""
