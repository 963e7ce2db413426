
BlogitsJ(©κΐΞ uΏCTΦΐƒ6ΑΑνΐΌ‚OΑ­χKA€ΑCAΏRCΚΑ