
BlogitsJ(`b.а{а
Mmю╫АPAбqxа─'2ад├÷а&*▄юmъю"kа