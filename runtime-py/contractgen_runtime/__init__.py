"""contractgen's Python runtime: the protocol engine generated Python servers use.

Hand-written and tested in contractgen's repository (runtime-py/), copied into every generated
package as ``<package>/runtime``; generated files add only the typed surface. Every module
imports its siblings relatively, so the copy works wherever it lands.
"""
