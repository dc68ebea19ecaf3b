"""The lettered workloads, one module each: (a) a_import … (k) k_idle_polls; (b) measures (c) and (d) too."""
