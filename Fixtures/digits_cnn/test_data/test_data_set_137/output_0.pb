
BlogitsJ(è•ÁOÑ1Á‰±Àñ†üÀÏÁØº×¿kÁtlRAWÁ6ÁYÓUÁ