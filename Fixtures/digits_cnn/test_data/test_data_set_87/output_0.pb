
BlogitsJ(дtа>┤ аlQахJ/а╜м4аМ÷=AoЬа≤j	юЛ&ю,Mа