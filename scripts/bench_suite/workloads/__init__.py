"""The lettered workloads, one module each: (a) a_import … (i) i_anchoring; (b) measures (c) and (d) too."""
