
BlogitsJ(JéÁ@ªÁt÷?Á
õÁûŒXÀœ½ÁZ®jÁ²K.A‚_	ÁYøÁ