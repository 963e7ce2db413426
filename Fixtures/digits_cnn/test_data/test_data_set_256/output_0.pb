
BlogitsJ(fБ% ¬БL;¬Б™jБдпБXDANc!Б”ъсА;@БmъА