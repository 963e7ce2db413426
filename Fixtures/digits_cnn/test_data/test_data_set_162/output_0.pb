
BlogitsJ(‘XÀDPoÁœÀDÁÄÀaÌ©Àõ™ÀÀ¡:A i ÁDð±¿yˆÁ